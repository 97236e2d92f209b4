-- A database copy must never talk to a live Amazon account, nor keep what an old version may
-- have leaked: every account goes to the sandbox with automatic integration off; every text
-- the connector wrote (its own tables, the integration rows, chatter messages, activities,
-- tracking values) loses the credential values, signed query strings and credential
-- parameters it may hold; connection messages and API log error texts are cleared; then the
-- credentials themselves are dropped.
DO $$
DECLARE
    col RECORD;
    secret TEXT;
    secrets TEXT[];
BEGIN
    SELECT coalesce(array_agg(DISTINCT s), '{}') INTO secrets
      FROM amazon_account a,
           LATERAL unnest(ARRAY[a.access_key, a.secret_key, a.auth_token, a.lwa_client_secret,
                                a.lwa_refresh_token, a.lwa_access_token]) AS s
     WHERE s IS NOT NULL AND length(s) >= 4;
    FOR col IN
        SELECT c.table_name, c.column_name
          FROM information_schema.columns c
          JOIN information_schema.tables t
            ON t.table_name = c.table_name AND t.table_schema = c.table_schema
         WHERE c.table_schema = current_schema()
           AND t.table_type = 'BASE TABLE'
           AND c.data_type IN ('text', 'character varying', 'jsonb')
           AND (c.table_name LIKE 'amazon\_%'
                OR (c.table_name IN ('product_integration', 'order_integration')
                    AND c.column_name LIKE 'amazon\_%')
                OR (c.table_name, c.column_name) IN (('mail_message', 'body'),
                                                     ('mail_message', 'subject'),
                                                     ('mail_activity', 'note'),
                                                     ('mail_activity', 'summary'),
                                                     ('mail_tracking_value', 'old_value_char'),
                                                     ('mail_tracking_value', 'new_value_char'),
                                                     ('mail_tracking_value', 'old_value_text'),
                                                     ('mail_tracking_value', 'new_value_text'),
                                                     ('ir_logging', 'message')))
           AND NOT (c.table_name = 'amazon_account'
                    AND c.column_name IN ('access_key', 'secret_key', 'auth_token',
                                          'lwa_client_id', 'lwa_client_secret',
                                          'lwa_refresh_token', 'lwa_access_token'))
    LOOP
        FOREACH secret IN ARRAY secrets LOOP
            EXECUTE format(
                'UPDATE %I SET %I = replace(%I::text, $1, ''***'')::%s WHERE strpos(%I::text, $1) > 0',
                col.table_name, col.column_name, col.column_name,
                (SELECT data_type FROM information_schema.columns
                  WHERE table_schema = current_schema() AND table_name = col.table_name
                    AND column_name = col.column_name),
                col.column_name)
            USING secret;
        END LOOP;
        -- signed query strings (python-amazon-mws puts the signature in the URL)
        EXECUTE format(
            'UPDATE %I SET %I = regexp_replace(%I::text, %L, %L, ''g'')::%s WHERE %I::text ~ %L',
            col.table_name, col.column_name, col.column_name,
            '(AWSAccessKeyId|MWSAuthToken|Signature|X-Amz-Signature|X-Amz-Credential|'
            'X-Amz-Security-Token|access_token|refresh_token|client_secret)=[^&[:space:]"''<>]+',
            '\1=***',
            (SELECT data_type FROM information_schema.columns
              WHERE table_schema = current_schema() AND table_name = col.table_name
                AND column_name = col.column_name),
            col.column_name,
            '(AWSAccessKeyId|MWSAuthToken|Signature|X-Amz-Signature|X-Amz-Credential|'
            'X-Amz-Security-Token|access_token|refresh_token|client_secret)=');
    END LOOP;
END
$$;

UPDATE amazon_api_log
   SET error_message = NULL
 WHERE error_message IS NOT NULL;

UPDATE amazon_account
   SET environment = 'sandbox',
       auto_sync = FALSE,
       access_key = NULL,
       secret_key = NULL,
       auth_token = NULL,
       lwa_client_id = NULL,
       lwa_client_secret = NULL,
       lwa_refresh_token = NULL,
       lwa_access_token = NULL,
       lwa_token_expires_at = NULL,
       connection_state = 'unknown',
       connection_message = NULL;
