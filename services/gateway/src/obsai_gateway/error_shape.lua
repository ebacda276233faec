-- Upstream gRPC errors in the one JSON error shape of the gateway:
--   {"error":{"code":"NOT_FOUND","message":"...","details":{...}}}
-- The transcoder (convert_grpc_status) gives google.rpc.Status JSON: a numeric
-- code, the message, and our ErrorInfo detail whose reason is the stable code
-- and whose metadata carries the HTTP status (502 has no gRPC code of its own).
-- Envoy's own local replies are shaped by local_reply_config instead.
-- Also applies x-http-status, which a successful RPC may set (health's 503).

local GRPC_NAMES = {
  [1] = "CANCELLED", [2] = "UNKNOWN", [3] = "INVALID_ARGUMENT",
  [4] = "DEADLINE_EXCEEDED", [5] = "NOT_FOUND", [6] = "ALREADY_EXISTS",
  [7] = "PERMISSION_DENIED", [8] = "RESOURCE_EXHAUSTED", [9] = "FAILED_PRECONDITION",
  [10] = "ABORTED", [11] = "OUT_OF_RANGE", [12] = "UNIMPLEMENTED", [13] = "INTERNAL",
  [14] = "UNAVAILABLE", [15] = "DATA_LOSS", [16] = "UNAUTHENTICATED",
}

-- Index just past the JSON string that opens at `i` (s:sub(i, i) == '"').
local function string_end(s, i)
  local j = i + 1
  while j <= #s do
    local c = s:sub(j, j)
    if c == "\\" then j = j + 2
    elseif c == '"' then return j + 1
    else j = j + 1 end
  end
  return nil
end

-- Index just past the JSON object that opens at `i`, strings respected.
local function object_end(s, i)
  local depth, j = 0, i
  while j <= #s do
    local c = s:sub(j, j)
    if c == '"' then
      j = string_end(s, j)
      if j == nil then return nil end
    else
      if c == "{" then depth = depth + 1 elseif c == "}" then depth = depth - 1 end
      j = j + 1
      if depth == 0 then return j end
    end
  end
  return nil
end

-- The raw (still escaped) JSON string value of `key`, or nil.
local function raw_string(s, key)
  local _, stop = s:find('"' .. key .. '"%s*:%s*"')
  if stop == nil then return nil end
  local finish = string_end(s, stop)
  if finish == nil then return nil end
  return s:sub(stop + 1, finish - 2)
end

local function raw_object(s, key)
  local _, stop = s:find('"' .. key .. '"%s*:%s*{')
  if stop == nil then return nil end
  local finish = object_end(s, stop)
  if finish == nil then return nil end
  return s:sub(stop, finish - 1)
end

local function shaped(code, raw_message, raw_details)
  local body = '{"error":{"code":"' .. code .. '","message":"' .. raw_message .. '"'
  if raw_details ~= nil then body = body .. ',"details":' .. raw_details end
  return body .. "}}"
end

local function from_rpc_status(text)
  local code = tonumber(text:match('^%s*{%s*"code"%s*:%s*(%d+)'))
  local name = text:match('"reason"%s*:%s*"([A-Z_]+)"') or GRPC_NAMES[code]
  local http = text:match('"http_status"%s*:%s*"(%d+)"')
  local details = raw_object(text, "metadata")
  if details ~= nil then
    details = details:gsub('"http_status"%s*:%s*"%d+"%s*,?%s*', ""):gsub(",%s*}$", "}")
    if details:match("^{%s*}$") then details = nil end
  end
  return shaped(name or "UNKNOWN", raw_string(text, "message") or "", details), http
end

-- What must not reach REST clients: every grpc-* header (gRPC plumbing, and any
-- grpc-* metadata a service sends; the transcoder adds some after the route's
-- response_headers_to_remove has run) and the internal identity.
local function is_hidden(name)
  return name:sub(1, 5) == "grpc-" or name == "x-obsai-identity"
end

-- Collected first: a header map must not change while it is iterated.
local function remove_hidden(map)
  local hidden = {}
  for name, _ in pairs(map) do
    if is_hidden(name) then hidden[#hidden + 1] = name end
  end
  for _, name in ipairs(hidden) do map:remove(name) end
end

function envoy_on_response(handle)
  local headers = handle:headers()
  remove_hidden(headers)
  local override = headers:get("x-http-status")
  if override ~= nil then
    headers:remove("x-http-status")
    headers:replace(":status", override)
  end
  local status = tonumber(headers:get(":status")) or 500
  if status < 400 then return end

  local body = handle:body()
  if body == nil or body:length() == 0 then return end
  local text = body:getBytes(0, body:length())
  if not text:match('^%s*{%s*"code"%s*:') then return end

  local result, http = from_rpc_status(text)
  -- Waiting for the body invalidated the earlier headers object.
  headers = handle:headers()
  if http ~= nil then headers:replace(":status", http) end
  headers:replace("content-type", "application/json")
  headers:remove("content-length")
  body:setBytes(result)
end
