-- save.lua: apply one state change of a session atomically (Store.Save).
--
-- Every key is in the user's hash slot {platform:workspace:user}:
--   KEYS[1] active   HASH sid, v, tok, doc, tx, texts  the user's active session
--   KEYS[2] session  HASH v, tok, doc, tx, texts       the session once finished
--   The answer texts are fields of their own ("a3", "w1"; tx = "1"), out
--   of the JSON doc, so that an answer sends and writes only its own text.
--   A hash without tx keeps its texts in doc (written before they moved).
--   KEYS[3] seen     SET applied message ids (+ DONE once stats counted it)
--   KEYS[4] binding  STRING thread binding JSON   (only when ARGV[10] ~= "")
--   then, when completing: stats HASH, recent LIST, week HASH, month HASH,
--   coverage HASH, history LIST, scores LIST
--
-- ARGV[1] sid  [2] expected version (0 creates)  [3] new version
--     [4] new status  [5] session JSON  [6] message id ("" = no check)
--     [7] idle TTL ms  [8] change token (random per Save call)
--     [9] "1" when completing  [10] thread binding JSON ("" = no thread)
--   when completing:
--     [11] score  [12] points  [13..19] step scores 1..7  [20] at (unix ms)
--     [21] scenario id  [22] day  [23] the day before  [24] week expire-at ms
--     [25] month expire-at ms  [26] recent limit
--     [27] concept marks, JSON [[key, meta, outcome], ...] (meta: progress.go)
--     [28] history entry JSON ("" = none)  [29] history limit
--     [30] coverage window  [31] "1" for a drill: points, streak,
--     coverage and history only (bot.Completion.Drill)
--     [32] score point JSON (bot.ScorePoint; interviews only)  [33] scores limit
--   then the texts: n pairs (field, text), ARGV[#ARGV - 3] "1" when they
--     are only the texts that changed since the expected version (else
--     all of them) and ARGV[#ARGV - 2] n
--   always last: KEYS[#KEYS] the user's pending-outbox HASH ("session:message"
--     → saved replies JSON), ARGV[#ARGV - 1] the field of the message whose
--     replies this change keeps pending and ARGV[#ARGV] those replies
--     ("" = none); other messages' fields stay as they are
--
-- Returns a table whose first element is the outcome:
--   {1, totals...} applied      {2} duplicate message    {3, version} stale
--   {4, totals...} not active   {5} user already has an active session
--   {6} only changed texts were sent, but the stored session keeps its
--       texts in doc: send them all
-- Checks run in the contract's order of precedence: not active, then
-- duplicate, then version. totals (only when completing) are the user's
-- week, month and all-time {points, sessions, at}; a not-active reply
-- carries them only when this very message completed the session, so a
-- replay can republish the boards (absolute values: harmless).

local sid, expected, version = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local status, body, msg, ttl, tok = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local completing, binding = ARGV[9] == '1', ARGV[10]
local outboxKey, outboxField, outboxBody = KEYS[#KEYS], ARGV[#ARGV - 1], ARGV[#ARGV]
local textsChanged, ntexts = ARGV[#ARGV - 3] == '1', tonumber(ARGV[#ARGV - 2])
local firstText = #ARGV - 3 - 2 * ntexts
local DONE = '\0completed' -- no platform message id starts with NUL

local k = 4
local bindKey
if binding ~= '' then bindKey = KEYS[4]; k = 5 end
local statsKey, recentKey, weekKey, monthKey = KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
local coverageKey, historyKey, scoresKey = KEYS[k + 4], KEYS[k + 5], KEYS[k + 6]

local function totals(out)
  if completing then
    for _, key in ipairs({weekKey, monthKey}) do
      local t = redis.call('HMGET', key, 'pts', 'n', 'at')
      out[#out + 1] = t[1] or '0'; out[#out + 1] = t[2] or '0'; out[#out + 1] = t[3] or '0'
    end
    local t = redis.call('HMGET', statsKey, 'points', 'sessions', 'at')
    out[#out + 1] = t[1] or '0'; out[#out + 1] = t[2] or '0'; out[#out + 1] = t[3] or '0'
  end
  return out
end

local cur = redis.call('HMGET', KEYS[1], 'sid', 'v', 'tok', 'tx')

-- A retry of this very call (the reply was lost and go-redis resent it)
-- finds its own token: report success instead of a false error.
-- (Only a finished session can carry it in KEYS[2], and then the active
-- key no longer names this session.)
if (cur[1] == sid and cur[3] == tok) or (cur[1] ~= sid and redis.call('HGET', KEYS[2], 'tok') == tok) then
  return totals({1})
end

if expected == 0 then
  if cur[1] then return {5} end
  -- a session id is never reused while any of its keys live
  if redis.call('EXISTS', KEYS[2], KEYS[3]) > 0 then return {3, '0'} end
else
  if cur[1] ~= sid then -- finished, expired, never created or someone else's
    if completing and msg ~= '' and redis.call('SISMEMBER', KEYS[3], msg) == 1
        and redis.call('SISMEMBER', KEYS[3], DONE) == 1 then
      return totals({4})
    end
    return {4}
  end
  if msg ~= '' and redis.call('SISMEMBER', KEYS[3], msg) == 1 then return {2} end
  if tonumber(cur[2]) ~= expected then return {3, cur[2]} end
  if textsChanged and cur[4] ~= '1' then return {6} end
end

-- Apply. Every key of the session gets the same idle TTL, so they expire together.
local fields = {'v', version, 'tok', tok, 'doc', body, 'tx', '1'}
for i = firstText, firstText + 2 * ntexts - 1 do fields[#fields + 1] = ARGV[i] end
if status == 'active' then
  redis.call('HSET', KEYS[1], 'sid', sid, unpack(fields))
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  redis.call('HSET', KEYS[2], unpack(fields))
  redis.call('PEXPIRE', KEYS[2], ttl)
  if cur[1] == sid then redis.call('DEL', KEYS[1]) end
end
if msg ~= '' then redis.call('SADD', KEYS[3], msg) end
if bindKey then redis.call('SET', bindKey, binding, 'PX', ttl) end
if outboxBody ~= '' then
  redis.call('HSET', outboxKey, outboxField, outboxBody)
  redis.call('PEXPIRE', outboxKey, ttl)
end

-- Stats count a session once: the DONE marker lives in the session's own
-- seen set, so only the transition that adds it can count.
if completing and redis.call('SADD', KEYS[3], DONE) == 1 then
  local function num(s) return tonumber(s) or 0 end
  local function f(x) return string.format('%.17g', x) end -- exact round trip
  local pts, at = tonumber(ARGV[12]), ARGV[20]
  local drill = ARGV[31] == '1'
  local inc = 1
  if drill then inc = 0 end
  -- bump adds this session to one total; at records when the total last
  -- rose, which breaks leaderboard ties in favour of the earlier user.
  local function bump(key, pf, nf, af)
    local t = redis.call('HMGET', key, pf, nf, af)
    local a = t[3]
    if not a or pts ~= 0 then a = at end
    redis.call('HSET', key, pf, f(num(t[1]) + pts), nf, num(t[2]) + inc, af, a)
  end
  bump(weekKey, 'pts', 'n', 'at'); redis.call('PEXPIREAT', weekKey, ARGV[24])
  bump(monthKey, 'pts', 'n', 'at'); redis.call('PEXPIREAT', monthKey, ARGV[25])
  bump(statsKey, 'points', 'sessions', 'at')

  local s = redis.call('HMGET', statsKey, 'st1', 'st2', 'st3', 'st4', 'st5', 'st6', 'st7',
    'best', 'streak', 'best_streak', 'last_day')
  local score = tonumber(ARGV[11])
  local upd = {}
  if not drill then
    upd = {'last', score}
    for i = 1, 7 do
      upd[#upd + 1] = 'st' .. i; upd[#upd + 1] = f(num(s[i]) + tonumber(ARGV[12 + i]))
    end
    if score > num(s[8]) then upd[#upd + 1] = 'best'; upd[#upd + 1] = score end
  end
  -- Streaks count local days (bot.AdvanceStreak): the same or an earlier
  -- day changes nothing, the next day adds one, a later day starts at one.
  local day = ARGV[22]
  if day > (s[11] or '') then
    local streak = 1
    if s[11] == ARGV[23] then streak = num(s[9]) + 1 end
    upd[#upd + 1] = 'streak'; upd[#upd + 1] = streak
    upd[#upd + 1] = 'best_streak'; upd[#upd + 1] = math.max(streak, num(s[10]))
    upd[#upd + 1] = 'last_day'; upd[#upd + 1] = day
  end
  if #upd > 0 then redis.call('HSET', statsKey, unpack(upd)) end
  if not drill then
    redis.call('LPUSH', recentKey, ARGV[21])
    redis.call('LTRIM', recentKey, 0, tonumber(ARGV[26]) - 1)
    redis.call('LPUSH', scoresKey, ARGV[32])
    redis.call('LTRIM', scoresKey, 0, tonumber(ARGV[33]) - 1)
  end

  -- Concept coverage (bot.ConceptTrack.Track): per key, h: the latest
  -- outcomes (oldest first, at most the window), n: every chance, l: the
  -- step, weight, importance and label of the latest mark.
  -- One HMGET and one HSET for all the marks (in chunks, for unpack's
  -- limit), not three calls per concept: a completion marks ~100.
  local window = tonumber(ARGV[30])
  local marks = cjson.decode(ARGV[27])
  local CHUNK = 1000
  local got = {}
  for from = 1, #marks, CHUNK do
    local fields = {}
    for i = from, math.min(#marks, from + CHUNK - 1) do
      fields[#fields + 1] = 'h:' .. marks[i][1]; fields[#fields + 1] = 'n:' .. marks[i][1]
    end
    local part = redis.call('HMGET', coverageKey, unpack(fields))
    for j = 1, #fields do got[#got + 1] = part[j] or false end
  end
  local hist, count, meta, order = {}, {}, {}, {}
  for i, m in ipairs(marks) do
    local key = m[1]
    if hist[key] == nil then
      hist[key], count[key] = got[2 * i - 1] or '', tonumber(got[2 * i]) or 0
      order[#order + 1] = key
    end
    local h = hist[key] .. m[3]
    if #h > window then h = string.sub(h, #h - window + 1) end
    hist[key], count[key], meta[key] = h, count[key] + 1, m[2]
  end
  for from = 1, #order, CHUNK do
    local upd = {}
    for i = from, math.min(#order, from + CHUNK - 1) do
      local key = order[i]
      upd[#upd + 1] = 'h:' .. key; upd[#upd + 1] = hist[key]
      upd[#upd + 1] = 'n:' .. key; upd[#upd + 1] = count[key]
      upd[#upd + 1] = 'l:' .. key; upd[#upd + 1] = meta[key]
    end
    redis.call('HSET', coverageKey, unpack(upd))
  end
  if ARGV[28] ~= '' then
    redis.call('LPUSH', historyKey, ARGV[28])
    redis.call('LTRIM', historyKey, 0, tonumber(ARGV[29]) - 1)
  end
end

redis.call('PEXPIRE', KEYS[3], ttl) -- a no-op when no id was ever applied
return totals({1})
