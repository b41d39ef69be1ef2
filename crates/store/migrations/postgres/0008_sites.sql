-- Sites (issue 12): websites of a tenant, their pages with the GrapesJS
-- project data and a version per save, what publishing rendered, image
-- assets, and form submissions (sealed with the tenant's key).

-- A site's slug is its subdomain: one namespace for every tenant, so the
-- Host lookup (as stackpro_system) finds the site without knowing its tenant.
CREATE TABLE sites (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    slug          text NOT NULL UNIQUE,
    name          text NOT NULL,
    template      text NOT NULL,
    business      text NOT NULL,
    published_at  timestamptz,
    -- Bumped by every publish and unpublish: replicas compare it to drop
    -- what they cached.
    generation    bigint NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX sites_updated ON sites (updated_at);

CREATE TABLE pages (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    site_id       uuid NOT NULL,
    path          text NOT NULL,
    title         text NOT NULL,
    description   text NOT NULL,
    social_image  text,
    noindex       boolean NOT NULL DEFAULT false,
    version       bigint NOT NULL,
    project       text NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    updated_by    uuid,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, site_id, path),
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id) ON DELETE CASCADE
);

-- Every save of a page, whole: restore copies one back as a new version.
CREATE TABLE page_versions (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    page_id       uuid NOT NULL,
    version       bigint NOT NULL,
    title         text NOT NULL,
    description   text NOT NULL,
    path          text NOT NULL,
    social_image  text,
    noindex       boolean NOT NULL DEFAULT false,
    project       text NOT NULL,
    summary       text NOT NULL,
    created_at    timestamptz NOT NULL,
    created_by    uuid,
    PRIMARY KEY (tenant_id, page_id, version),
    FOREIGN KEY (tenant_id, page_id) REFERENCES pages (tenant_id, id) ON DELETE CASCADE
);

-- What a publish rendered: one row per served path (pages, and the 404).
CREATE TABLE published_pages (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    site_id       uuid NOT NULL,
    path          text NOT NULL,
    html          text NOT NULL,
    etag          text NOT NULL,
    -- The page's Content-Security-Policy (it names the hash of its style).
    csp           text NOT NULL,
    noindex       boolean NOT NULL DEFAULT false,
    published_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, site_id, path),
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE site_assets (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    site_id       uuid NOT NULL,
    hash          text NOT NULL,
    name          text NOT NULL,
    content_type  text NOT NULL,
    width         integer NOT NULL,
    height        integer NOT NULL,
    bytes         bigint NOT NULL,
    variants      text NOT NULL,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, site_id, hash),
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE form_submissions (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    site_id       uuid NOT NULL,
    form          text NOT NULL,
    page          text NOT NULL,
    sealed        bytea NOT NULL,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX form_submissions_site ON form_submissions (tenant_id, site_id, created_at);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['sites', 'pages', 'page_versions', 'published_pages', 'site_assets', 'form_submissions']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)', t);
        EXECUTE format('CREATE POLICY system_access ON %I USING (current_user = ''stackpro_system'') WITH CHECK (current_user = ''stackpro_system'')', t);
    END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE, DELETE ON sites, pages, published_pages, site_assets, form_submissions TO stackpro_app;
-- Versions are history: written once, removed only with their page.
GRANT SELECT, INSERT, DELETE ON page_versions TO stackpro_app;
-- Across tenants: the Host lookup and the cache poll read sites; operators'
-- tools and tenant deletion may read and remove anything.
GRANT SELECT, DELETE ON sites, pages, page_versions, published_pages, site_assets, form_submissions
    TO stackpro_system;
