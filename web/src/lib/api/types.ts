import type { components } from './schema'

type Schemas = components['schemas']

export type Tenant = Schemas['Tenant']
export type User = Schemas['User']
export type Role = Schemas['Role']
export type Scope = Schemas['Scope']
export type Session = Schemas['Session']
export type Me = Schemas['Me']
export type Member = Schemas['Member']
export type Invitation = Schemas['Invitation']
export type ApiKey = Schemas['ApiKey']
export type CreatedApiKey = Schemas['CreatedApiKey']
export type AuditEntry = Schemas['AuditEntry']
export type AuditPage = Schemas['AuditPage']
export type AuditVerification = Schemas['AuditVerification']
