-- daily_due.lua: claim due idle checks (DailyStore.DueNudges).
--
-- KEYS[1] due ZSET member = escaped "platform:workspace:user:session", score = due (unix ms)
-- ARGV[1] now ms  [2] limit  [3] lease ms
-- Each claimed member is pushed to now+lease, so another replica does not
-- get it until the lease has passed (a replica that dies leaves it there).
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, m in ipairs(due) do
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[3]), m)
end
return due
