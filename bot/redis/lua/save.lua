-- save.lua: apply one state change of a session atomically (Store.Save).
--
-- Every key is in the user's hash slot {platform:workspace:user}:
-- KEYS[1] active  HASH sid, v, tok, doc   the user's active session
-- KEYS[2] session HASH v, tok, doc        the session once finished
-- KEYS[3] seen    SET applied message ids (+ DONE once stats counted it)
-- with a completion also:
-- KEYS[4] stats   HASH  KEYS[5] recent LIST  KEYS[6] week HASH  KEYS[7] month HASH
--
-- ARGV[1] sid  [2] expected version (0 creates)  [3] new version
--     [4] new status  [5] session JSON  [6] message id ("" = no check)
--     [7] idle TTL ms  [8] change token (random per Save call)
--     [9] "1" when completing, then
--     [10] score  [11] points  [12..18] step scores 1..7  [19] at (unix ms)
--     [20] scenario id  [21] day  [22] the day before  [23] week expire-at ms
--     [24] month expire-at ms  [25] recent limit
--
-- Returns a table whose first element is the outcome:
--   {1, totals...} applied   {2, totals...} duplicate message
--   {3, version}   stale version   {4} session not active   {5} user already active
-- totals (when completing) are the user's week, month and all-time
-- {points, sessions, at}; they are absolute, so republishing them is harmless.

local sid, expected, version = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local status, body, msg, ttl, tok = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local completing = ARGV[9] == '1'
local DONE = '\0completed' -- no platform message id starts with NUL

local function totals(out)
  if completing then
    for _, k in ipairs({KEYS[6], KEYS[7]}) do
      local t = redis.call('HMGET', k, 'pts', 'n', 'at')
      out[#out + 1] = t[1] or '0'; out[#out + 1] = t[2] or '0'; out[#out + 1] = t[3] or '0'
    end
    local t = redis.call('HMGET', KEYS[4], 'points', 'sessions', 'at')
    out[#out + 1] = t[1] or '0'; out[#out + 1] = t[2] or '0'; out[#out + 1] = t[3] or '0'
  end
  return out
end

local cur = redis.call('HMGET', KEYS[1], 'sid', 'v', 'tok')

-- A retry of this very call (the reply was lost, go-redis resent it) finds
-- its own token: report success instead of a false conflict or duplicate.
if (cur[1] == sid and cur[3] == tok) or redis.call('HGET', KEYS[2], 'tok') == tok then
  return totals({1})
end

if expected == 0 then
  if cur[1] then return {5} end
  -- a session id is never reused while any of its keys live
  if redis.call('EXISTS', KEYS[2], KEYS[3]) > 0 then return {3, '0'} end
else
  if msg ~= '' and redis.call('SISMEMBER', KEYS[3], msg) == 1 then
    if completing and redis.call('SISMEMBER', KEYS[3], DONE) == 1 then return totals({2}) end
    return {2}
  end
  if cur[1] ~= sid then return {4} end
  if tonumber(cur[2]) ~= expected then return {3, cur[2]} end
end

if status == 'active' then
  redis.call('HSET', KEYS[1], 'sid', sid, 'v', version, 'tok', tok, 'doc', body)
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  redis.call('HSET', KEYS[2], 'v', version, 'tok', tok, 'doc', body)
  redis.call('PEXPIRE', KEYS[2], ttl)
  if cur[1] == sid then redis.call('DEL', KEYS[1]) end
end
if msg ~= '' then redis.call('SADD', KEYS[3], msg) end

-- Stats count a session once: the DONE marker lives in the session's own
-- seen set, so only the transition that adds it can count.
if completing and redis.call('SADD', KEYS[3], DONE) == 1 then
  local function num(s) return tonumber(s) or 0 end
  local function f(x) return string.format('%.17g', x) end -- exact round trip
  local pts, at = tonumber(ARGV[11]), ARGV[19]
  -- bump adds this session to one total; at records when the total was
  -- reached, which breaks leaderboard ties in favour of the earlier user.
  local function bump(key, pf, nf, af)
    local t = redis.call('HMGET', key, pf, nf, af)
    local a = t[3]
    if not a or pts ~= 0 then a = at end
    redis.call('HSET', key, pf, f(num(t[1]) + pts), nf, num(t[2]) + 1, af, a)
  end
  bump(KEYS[6], 'pts', 'n', 'at'); redis.call('PEXPIREAT', KEYS[6], ARGV[23])
  bump(KEYS[7], 'pts', 'n', 'at'); redis.call('PEXPIREAT', KEYS[7], ARGV[24])
  bump(KEYS[4], 'points', 'sessions', 'at')

  local s = redis.call('HMGET', KEYS[4], 'st1', 'st2', 'st3', 'st4', 'st5', 'st6', 'st7',
    'best', 'streak', 'best_streak', 'last_day')
  local score = tonumber(ARGV[10])
  local upd = {'last', score}
  for i = 1, 7 do
    upd[#upd + 1] = 'st' .. i; upd[#upd + 1] = f(num(s[i]) + tonumber(ARGV[11 + i]))
  end
  if score > num(s[8]) then upd[#upd + 1] = 'best'; upd[#upd + 1] = score end
  local day, last = ARGV[21], s[11] or ''
  if day > last then -- an older day arriving late changes nothing
    local streak = 1
    if last == ARGV[22] then streak = num(s[9]) + 1 end
    upd[#upd + 1] = 'streak'; upd[#upd + 1] = streak
    upd[#upd + 1] = 'best_streak'; upd[#upd + 1] = math.max(streak, num(s[10]))
    upd[#upd + 1] = 'last_day'; upd[#upd + 1] = day
  end
  redis.call('HSET', KEYS[4], unpack(upd))
  redis.call('LPUSH', KEYS[5], ARGV[20])
  redis.call('LTRIM', KEYS[5], 0, tonumber(ARGV[25]) - 1)
end

redis.call('PEXPIRE', KEYS[3], ttl) -- no-op when no id was ever applied
return totals({1})
