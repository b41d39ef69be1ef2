"""The local Stripe peer of the billing tests: localstripe (PyPI), which
speaks Stripe's wire format, on 127.0.0.1, with three additions it lacks.

Usage: python stripe_peer.py PORT

- Its state stays in memory (localstripe pickles every write to one fixed
  file in /tmp shared by every instance; parallel tests would see each
  other's objects).
- `POST /v1/checkout/sessions` (localstripe answers 404): a session for a
  customer and a plan, in Stripe's shape, and `POST /_config/test/checkout/{id}/complete`,
  which does what paying on Stripe's page does: subscribes the customer to
  the plan, so Stripe sends `customer.subscription.created`.
- `POST /_config/test/stall` with `path` and `after`: the request to `path` after
  the first `after` ones is carried out but never answered, so a test can
  kill the caller half-way through a sync at the worst moment (Stripe has
  the object, the caller does not know). `DELETE /_config/test/stall` lifts it.

BILLING.md lists what localstripe supports and where its arithmetic is
wrong; the tests never use it as the oracle for prices.
"""

import asyncio
import secrets
import sys

from aiohttp import web

from localstripe import resources
from localstripe.errors import UserError
from localstripe.server import app, json_response

resources.Store.dump_to_disk = lambda self: None
resources.store.clear()

sessions = {}
stalls = {}


@web.middleware
async def stall(request, handler):
    rule = stalls.get((request.method, request.path))
    response = await handler(request)
    if rule is not None:
        if rule["after"] <= 0:
            await asyncio.sleep(3600)
        rule["after"] -= 1
    return response


app.middlewares.insert(0, stall)


async def form(request):
    data = await request.post()
    return {k: v for k, v in data.items()}


async def create_session(request):
    data = await form(request)
    for required in ("mode", "customer", "success_url", "cancel_url", "line_items[0][price]"):
        if not data.get(required):
            raise UserError(400, f"Missing required param: {required}.")
    if data["mode"] != "subscription":
        raise UserError(400, "Only subscription mode is supported here.")
    customer = resources.Customer._api_retrieve(data["customer"])
    plan = resources.Plan._api_retrieve(data["line_items[0][price]"])
    sid = "cs_test_" + secrets.token_hex(12)
    session = {
        "id": sid,
        "object": "checkout.session",
        "mode": "subscription",
        "customer": customer.id,
        "status": "open",
        "success_url": data["success_url"],
        "cancel_url": data["cancel_url"],
        "url": f"http://{request.host}/c/pay/{sid}",
        "plan": plan.id,
        "anchor": data.get("subscription_data[billing_cycle_anchor]"),
        "subscription": None,
    }
    sessions[sid] = session
    return json_response({k: v for k, v in session.items() if k not in ("plan", "anchor")})


async def complete_session(request):
    session = sessions.get(request.match_info["id"])
    if session is None:
        raise UserError(404, "No such checkout session")
    # What the card form does: the card is attached and made the default.
    pm = resources.PaymentMethod(type="card", card={"number": "4242424242424242", "exp_month": "12",
                                                    "exp_year": "2030", "cvc": "123"})
    resources.PaymentMethod._api_attach(pm.id, customer=session["customer"])
    resources.Customer._api_update(session["customer"],
                                   invoice_settings={"default_payment_method": pm.id})
    sub = resources.Subscription(customer=session["customer"], items=[{"plan": session["plan"], "quantity": 1}],
                                 billing_cycle_anchor=session["anchor"])
    session["status"] = "complete"
    session["subscription"] = sub.id
    return json_response({"id": session["id"], "status": "complete", "subscription": sub.id})


async def set_stall(request):
    data = await form(request)
    stalls[(data.get("method", "POST"), data["path"])] = {"after": int(data.get("after", "0"))}
    return web.Response()


app.router.add_post("/v1/checkout/sessions", create_session)
app.router.add_post("/_config/test/checkout/{id}/complete", complete_session)
async def lift_stall(request):
    stalls.clear()
    return web.Response()


app.router.add_post("/_config/test/stall", set_stall)
app.router.add_delete("/_config/test/stall", lift_stall)

if __name__ == "__main__":
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
