//! Typed ids: every id is a UUIDv7 newtype, so a `UserId` cannot be passed
//! where a `TenantId` is due.

/// Defines a UUIDv7 id newtype with serde, sqlx (transparent), `Display`,
/// `FromStr` and an OpenAPI schema (a string in `uuid` format).
#[macro_export]
macro_rules! define_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[derive($crate::__private::serde::Serialize, $crate::__private::serde::Deserialize)]
        #[derive($crate::__private::sqlx::Type)]
        #[serde(transparent, crate = "::stackpro_core::__private::serde")]
        #[sqlx(transparent)]
        pub struct $name(pub $crate::__private::uuid::Uuid);

        impl $name {
            /// A new time-ordered (v7) id.
            pub fn new() -> Self {
                Self($crate::__private::uuid::Uuid::now_v7())
            }
            /// The underlying UUID.
            pub fn as_uuid(&self) -> $crate::__private::uuid::Uuid {
                self.0
            }
        }
        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.0, f)
            }
        }
        impl ::std::str::FromStr for $name {
            type Err = $crate::__private::uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }
        impl $crate::__private::utoipa::PartialSchema for $name {
            fn schema() -> $crate::__private::utoipa::openapi::RefOr<$crate::__private::utoipa::openapi::schema::Schema> {
                use $crate::__private::utoipa::openapi::schema::{ObjectBuilder, SchemaFormat, KnownFormat, Type};
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                    .into()
            }
        }
        impl $crate::__private::utoipa::ToSchema for $name {}
    };
}

define_id!(
    /// A tenant: one business and everything it owns.
    TenantId
);
define_id!(
    /// A person who signs in to one tenant.
    UserId
);
define_id!(
    /// An API key of a tenant.
    ApiKeyId
);
define_id!(
    /// One request, as logged and as returned in problem bodies.
    RequestId
);
