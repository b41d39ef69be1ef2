-- Sites (issue 12): websites of a tenant, their pages with the GrapesJS
-- project data and a version per save, what publishing rendered, image
-- assets, and form submissions (sealed with the tenant's key).

-- A site's slug is its subdomain: one namespace for every tenant, so the
-- Host lookup (as stackpro_system) finds the site without knowing its tenant.
CREATE TABLE sites (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            BLOB NOT NULL,
    slug          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    template      TEXT NOT NULL,
    business      TEXT NOT NULL,
    published_at  TEXT,
    -- Bumped by every publish and unpublish: replicas compare it to drop
    -- what they cached.
    generation    INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX sites_updated ON sites (updated_at);

CREATE TABLE pages (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            BLOB NOT NULL,
    site_id       BLOB NOT NULL,
    path          TEXT NOT NULL,
    title         TEXT NOT NULL,
    description   TEXT NOT NULL,
    social_image  TEXT,
    noindex       INTEGER NOT NULL DEFAULT 0,
    version       INTEGER NOT NULL,
    project       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    updated_by    BLOB,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, site_id, path),
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id) ON DELETE CASCADE
);

-- Every save of a page, whole: restore copies one back as a new version.
CREATE TABLE page_versions (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    page_id       BLOB NOT NULL,
    version       INTEGER NOT NULL,
    title         TEXT NOT NULL,
    description   TEXT NOT NULL,
    path          TEXT NOT NULL,
    social_image  TEXT,
    noindex       INTEGER NOT NULL DEFAULT 0,
    project       TEXT NOT NULL,
    summary       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    created_by    BLOB,
    PRIMARY KEY (tenant_id, page_id, version),
    FOREIGN KEY (tenant_id, page_id) REFERENCES pages (tenant_id, id) ON DELETE CASCADE
);

-- What a publish rendered: one row per served path (pages, and the 404).
CREATE TABLE published_pages (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    site_id       BLOB NOT NULL,
    path          TEXT NOT NULL,
    html          TEXT NOT NULL,
    etag          TEXT NOT NULL,
    -- The page's Content-Security-Policy (it names the hash of its style).
    csp           TEXT NOT NULL,
    noindex       INTEGER NOT NULL DEFAULT 0,
    published_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, site_id, path),
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE site_assets (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            BLOB NOT NULL,
    site_id       BLOB NOT NULL,
    hash          TEXT NOT NULL,
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    bytes         INTEGER NOT NULL,
    variants      TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, site_id, hash),
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE form_submissions (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            BLOB NOT NULL,
    site_id       BLOB NOT NULL,
    form          TEXT NOT NULL,
    page          TEXT NOT NULL,
    sealed        BLOB NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX form_submissions_site ON form_submissions (tenant_id, site_id, created_at);

