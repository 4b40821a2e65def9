-- daily_credit.lua: count a user's first answer to a daily post, once
-- (DailyStore.RecordDailyAnswer), and credit it to the user's totals.
--
-- Every key is in the user's hash slot {platform:workspace:user}:
--   KEYS[1] marker  STRING the counted answer (JSON) for this post
--   KEYS[2] stats   HASH   points, at, streak, best_streak, last_day
--   KEYS[3] week    HASH   pts, at (n is left to completions)
--   KEYS[4] month   HASH   pts, at
-- ARGV[1] answer JSON  [2] ttl ms  [3] points  [4] at (unix ms)
--     [5] day  [6] the day before  [7] week expire-at ms  [8] month expire-at ms
--
-- Returns {0, counted JSON} when the user had already answered, else
-- {1, answer JSON, week pts, n, at, month pts, n, at, all-time points,
-- sessions, at}: absolute totals for the leaderboards. Sessions are not
-- counted: a daily answer is not an interview.

local old = redis.call('GET', KEYS[1])
if old then return {0, old} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])

local function num(s) return tonumber(s) or 0 end
local function f(x) return string.format('%.17g', x) end -- exact round trip
local pts, at = tonumber(ARGV[3]), ARGV[4]
-- add raises one total; at records when it last rose, which breaks
-- leaderboard ties in favour of the earlier user.
local function add(key, pf, af)
  local t = redis.call('HMGET', key, pf, af)
  local a = t[2]
  if not a or pts ~= 0 then a = at end
  redis.call('HSET', key, pf, f(num(t[1]) + pts), af, a)
end
add(KEYS[3], 'pts', 'at'); redis.call('PEXPIREAT', KEYS[3], ARGV[7])
add(KEYS[4], 'pts', 'at'); redis.call('PEXPIREAT', KEYS[4], ARGV[8])
add(KEYS[2], 'points', 'at')

-- Streaks count local days (bot.AdvanceStreak, as save.lua does): the same
-- or an earlier day changes nothing, the next day adds one, a later day
-- starts again at one.
local s = redis.call('HMGET', KEYS[2], 'streak', 'best_streak', 'last_day')
local day = ARGV[5]
if day > (s[3] or '') then
  local streak = 1
  if s[3] == ARGV[6] then streak = num(s[1]) + 1 end
  redis.call('HSET', KEYS[2], 'streak', streak, 'best_streak', math.max(streak, num(s[2])), 'last_day', day)
end

local out = {1, ARGV[1]}
for _, key in ipairs({KEYS[3], KEYS[4]}) do
  local t = redis.call('HMGET', key, 'pts', 'n', 'at')
  out[#out + 1] = t[1] or '0'; out[#out + 1] = t[2] or '0'; out[#out + 1] = t[3] or '0'
end
local t = redis.call('HMGET', KEYS[2], 'points', 'sessions', 'at')
out[#out + 1] = t[1] or '0'; out[#out + 1] = t[2] or '0'; out[#out + 1] = t[3] or '0'
return out
