-- Dovecot passdb and userdb that ask Onboard (Dovecot 2.3.19, Lua 5.4, blocking auth workers).
--
-- Onboard decides every login and every user lookup:
--   POST ONBOARD_MAIL_URL/internal/mail/auth  {"user","password","service","remote_ip"}
--   POST ONBOARD_MAIL_URL/internal/mail/user  {"user"}
-- with header X-Onboard-Mail-Secret, answered 200 {"ok": true, "user": canonical address,
-- "quota_bytes": N, "acl_groups": "a@x,b@y"} or 200 {"ok": false}. Anything else (another status,
-- a timeout, no connection, a malformed answer) is an internal failure: the login fails.
--
-- Settings come from the environment that dovecot.conf's import_environment sets:
--   ONBOARD_MAIL_URL (e.g. http://127.0.0.1:8080), ONBOARD_MAIL_SECRET,
--   ONBOARD_MAIL_TIMEOUT_MS (default 3000).
-- HTTP is lua-socket's socket.http (plain HTTP), JSON is lua-cjson. Dovecot 2.3.19 has its own
-- dovecot.http client, but it always sends "Expect: 100-continue" with a body and waits 2 s for a
-- "100 Continue" that servers without that feature (Vapor, for one) never send: every login took 2 s.

local json = require("cjson.safe")
local http = require("socket.http")
local ltn12 = require("ltn12")

local base_url = os.getenv("ONBOARD_MAIL_URL") or ""
local secret = os.getenv("ONBOARD_MAIL_SECRET") or ""
local timeout_ms = tonumber(os.getenv("ONBOARD_MAIL_TIMEOUT_MS") or "") or 3000

function script_init()
  base_url = base_url:gsub("/+$", "")
  -- Each blocking step (connect, send, each read) may take this long; then the lookup fails.
  http.TIMEOUT = timeout_ms / 1000
  if base_url == "" or secret == "" then
    dovecot.i_error("onboard-auth: ONBOARD_MAIL_URL and ONBOARD_MAIL_SECRET must be set")
    return 1
  end
  return 0
end

-- POST a JSON body; returns the decoded answer, or nil and a reason.
local function post(path, body)
  local payload = json.encode(body)
  local chunks = {}
  local ok, status = http.request({
    url = base_url .. path,
    method = "POST",
    headers = {
      ["Content-Type"] = "application/json",
      ["Content-Length"] = tostring(#payload),
      ["X-Onboard-Mail-Secret"] = secret,
    },
    source = ltn12.source.string(payload),
    sink = ltn12.sink.table(chunks),
    redirect = false,
  })
  if ok == nil then
    return nil, string.format("%s failed: %s", path, tostring(status))
  end
  if status ~= 200 then
    return nil, string.format("%s answered HTTP %s", path, tostring(status))
  end
  local answer = json.decode(table.concat(chunks))
  if type(answer) ~= "table" or type(answer.ok) ~= "boolean" then
    return nil, path .. " answered something that is not {\"ok\": true|false, ...}"
  end
  return answer
end

-- The fields Dovecot needs from a positive answer, checked: the canonical address becomes a folder
-- name (mail_home = .../%d/%n), so only plain address characters are accepted.
local function user_fields(answer)
  local user = answer.user
  if type(user) ~= "string" or not user:match("^[%w._+%-]+@[%w.%-]+$") or user:find("..", 1, true) then
    return nil, "answer has no valid \"user\""
  end
  local quota = answer.quota_bytes
  if quota == nil or quota == json.null then quota = 0 end
  -- lua-cjson decodes every number as a float: take it only when it is a whole number.
  quota = type(quota) == "number" and math.tointeger(quota) or nil
  if quota == nil or quota < 0 then
    return nil, "answer has no valid \"quota_bytes\""
  end
  local groups = answer.acl_groups
  if groups == nil or groups == json.null then groups = "" end
  if type(groups) ~= "string" or groups:find("[%s\"]") then
    return nil, "answer has no valid \"acl_groups\""
  end
  return { user = user:lower(), quota_rule = "*:bytes=" .. quota, acl_groups = groups }
end

-- passdb: Onboard checks the password (its own hashes, lockout and activity rules).
function auth_password_verify(req, password)
  local answer, err = post("/internal/mail/auth", {
    user = req.user,
    password = password,
    service = req.service or "",
    remote_ip = req.remote_ip or "",
  })
  if answer == nil then
    req:log_error("onboard-auth: " .. err)
    return dovecot.auth.PASSDB_RESULT_INTERNAL_FAILURE, "Onboard unavailable"
  end
  if answer.ok ~= true then
    return dovecot.auth.PASSDB_RESULT_PASSWORD_MISMATCH, "refused by Onboard"
  end
  local fields, ferr = user_fields(answer)
  if fields == nil then
    req:log_error("onboard-auth: /internal/mail/auth " .. ferr)
    return dovecot.auth.PASSDB_RESULT_INTERNAL_FAILURE, "bad answer from Onboard"
  end
  local result = { user = fields.user, userdb_quota_rule = fields.quota_rule }
  if fields.acl_groups ~= "" then result.userdb_acl_groups = fields.acl_groups end
  return dovecot.auth.PASSDB_RESULT_OK, result
end

-- A lookup without a password (a non-plaintext mechanism) is never answered: only Onboard sees
-- passwords, and it never hands out hashes.
function auth_passdb_lookup(req)
  return dovecot.auth.PASSDB_RESULT_SCHEME_NOT_AVAILABLE, "only plaintext mechanisms are served"
end

-- userdb: does the user exist, and with which quota and groups (LMTP, doveadm, shared-mailbox owners).
function auth_userdb_lookup(req)
  local answer, err = post("/internal/mail/user", { user = req.user })
  if answer == nil then
    req:log_error("onboard-auth: " .. err)
    return dovecot.auth.USERDB_RESULT_INTERNAL_FAILURE, "Onboard unavailable"
  end
  if answer.ok ~= true then
    return dovecot.auth.USERDB_RESULT_USER_UNKNOWN, "unknown to Onboard"
  end
  local fields, ferr = user_fields(answer)
  if fields == nil then
    req:log_error("onboard-auth: /internal/mail/user " .. ferr)
    return dovecot.auth.USERDB_RESULT_INTERNAL_FAILURE, "bad answer from Onboard"
  end
  if fields.acl_groups == "" then fields.acl_groups = nil end
  return dovecot.auth.USERDB_RESULT_OK, fields
end
