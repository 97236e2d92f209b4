-- A database copy must never talk to a live Amazon account: every account goes to the
-- sandbox with automatic integration off, and its credentials are dropped.
UPDATE amazon_account
   SET environment = 'sandbox',
       auto_sync = FALSE,
       access_key = NULL,
       secret_key = NULL,
       auth_token = NULL,
       connection_state = 'unknown';
