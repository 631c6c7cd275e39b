-- 0005: API keys may expire (POST /v1/keys "expiresAt"); an expired key is refused like a
-- revoked one. Scopes are enforced from now on: a key created before had every right of its
-- owner whatever it listed when it listed nothing, so those keys get every scope and keep
-- working as they did. Keys that named scopes get exactly those.
ALTER TABLE sluice.api_keys ADD COLUMN IF NOT EXISTS expires_at timestamptz NULL;
UPDATE sluice.api_keys
   SET scopes = ARRAY['files:read', 'files:write', 'files:delete', 'shares:write', 'keys:write']
 WHERE scopes = '{}';
