-- daily_claim.lua: take an idempotency key (DailyStore.Claim).
--
-- KEYS[1] claim STRING "c:<claimed at, unix ms>[:<note>]" while held, "done"
--     once finished
-- ARGV[1] now (unix ms, the store's clock)  [2] lease ms (0 = never taken over)
--     [3] ttl ms
-- Returns 1 when the caller won: the key was free, or held by a claim that
-- is older than lease and was never finished (its winner died half-way).
-- A takeover keeps the note, so the new winner learns how far the last one got.
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], 'c:' .. ARGV[1], 'PX', ARGV[3])
  return 1
end
if v == 'done' then return 0 end
local digits, rest = string.match(v, '^c:(%d+)(.*)$')
local lease, at = tonumber(ARGV[2]), tonumber(digits)
if lease > 0 and at and tonumber(ARGV[1]) - at >= lease then
  redis.call('SET', KEYS[1], 'c:' .. ARGV[1] .. rest, 'KEEPTTL')
  return 1
end
return 0
