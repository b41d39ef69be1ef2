import { useState, type FormEvent } from 'react'
import { Link } from 'react-router'
import { Button } from '@/components/ui/Button'
import { Card } from '@/components/ui/Card'
import { Field } from '@/components/ui/Field'
import { FormError } from '@/components/ui/FormError'
import { Textarea, TextField } from '@/components/ui/Input'
import { useToast } from '@/components/ui/toast-context'
import { fieldError, hasCode } from '@/lib/api/problem'
import type { Site, SiteTemplate } from '@/lib/api/types'
import { looksLikeEmail, raw, text, type FieldErrors } from '@/lib/form'
import { useCreateSite } from '../api/sites'
import { parseServices, servicesProblem, slugify, slugProblem } from '../utils/site'

const FIELDS = ['/business/name', '/business/city', '/business/phone', '/business/email', '/business/services', '/slug']

interface NewSiteFormProps {
  template: SiteTemplate
  baseDomain: string | undefined
  onChangeTemplate: () => void
  onCreated: (site: Site) => void
}

export function NewSiteForm({ template, baseDomain, onChangeTemplate, onCreated }: NewSiteFormProps) {
  const create = useCreateSite()
  const toast = useToast()
  const [name, setName] = useState('')
  const [errors, setErrors] = useState<FieldErrors>({})
  const suggestion = slugify(name)
  const err = (pointer: string) => errors[pointer] ?? fieldError(create.error, pointer)

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const form = new FormData(e.currentTarget)
    const business = {
      name: text(form, 'name'),
      city: text(form, 'city'),
      phone: text(form, 'phone'),
      email: text(form, 'email'),
      services: parseServices(raw(form, 'services')),
    }
    const slug = text(form, 'slug').toLowerCase()
    const found: FieldErrors = {
      '/business/name': business.name ? undefined : 'Enter your business’s name.',
      '/business/phone': /^[0-9 +().-]*$/.test(business.phone) ? undefined : 'Use digits, spaces and + - ( ) . only.',
      '/business/email': !business.email || looksLikeEmail(business.email) ? undefined : 'Enter a valid email address, like name@example.com.',
      '/business/services': servicesProblem(business.services),
      '/slug': slugProblem(slug),
    }
    setErrors(found)
    if (Object.values(found).some(Boolean)) return
    create.mutate(
      {
        template: template.key,
        business: {
          name: business.name,
          ...(business.city ? { city: business.city } : {}),
          ...(business.phone ? { phone: business.phone } : {}),
          ...(business.email ? { email: business.email } : {}),
          ...(business.services.length > 0 ? { services: business.services } : {}),
        },
        ...(slug ? { slug } : {}),
      },
      {
        onSuccess: (site) => {
          toast({ title: 'Site created', description: `${site.name} is ready to edit. Publish it when you like.` })
          onCreated(site)
        },
      },
    )
  }

  return (
    <Card>
      <div className="chosen-template">
        <img src={template.preview_url} alt="" width={600} height={400} />
        <div>
          <p className="muted">Template</p>
          <p className="strong">
            {template.name} <span className="muted">· {template.industry}</span>
          </p>
          <button type="button" className="link-btn" onClick={onChangeTemplate}>
            Choose another template
          </button>
        </div>
      </div>
      <form className="form" onSubmit={onSubmit} noValidate aria-label="Your business">
        <TextField
          label="Business name"
          name="name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          maxLength={100}
          autoComplete="organization"
          error={err('/business/name')}
        />
        <div className="form-grid">
          <TextField label="City" name="city" optional maxLength={100} autoComplete="address-level2" error={err('/business/city')} />
          <TextField label="Phone" name="phone" type="tel" optional maxLength={40} autoComplete="tel" error={err('/business/phone')} />
        </div>
        <TextField label="Email" name="email" type="email" optional maxLength={254} autoComplete="email" hint="Customers can write to it; form messages arrive in StackPro either way." error={err('/business/email')} />
        <Field
          label="Services"
          optional
          hint={`One per line, up to 12. Leave empty to start with the template’s: ${template.default_services.join(', ')}.`}
          error={err('/business/services')}
        >
          {(control) => <Textarea name="services" rows={4} placeholder={template.default_services.join('\n')} {...control} />}
        </Field>
        <Field
          label="Subdomain"
          optional
          hint={
            <>
              Your site’s address: <span className="strong">{suggestion || 'your-business'}</span>
              {baseDomain ? `.${baseDomain}` : ''}. Lowercase letters, digits and hyphens; leave empty to use the name.
            </>
          }
          error={err('/slug')}
        >
          {(control) => (
            <div className="input-suffix">
              <input className="input" name="slug" placeholder={suggestion || 'your-business'} maxLength={63} autoCapitalize="none" spellCheck={false} {...control} />
              {baseDomain ? <span className="input-suffix-text">.{baseDomain}</span> : null}
            </div>
          )}
        </Field>
        {hasCode(create.error, 'plan_limit_reached') ? (
          <FormError error={create.error} />
        ) : (
          <FormError error={create.error} fields={FIELDS} />
        )}
        {hasCode(create.error, 'plan_limit_reached') ? (
          <p className="muted">
            A larger plan allows more sites: <Link to="/billing#plans">compare plans</Link>.
          </p>
        ) : null}
        <div className="form-actions">
          <Button variant="ghost" onClick={onChangeTemplate}>
            Back
          </Button>
          <Button type="submit" variant="primary" loading={create.isPending}>
            Create site
          </Button>
        </div>
      </form>
    </Card>
  )
}
