-- forget_row.lua: remove a user's row from one leaderboard.
--
-- KEYS[1] ZSET, KEYS[2] meta HASH (same slot {platform:workspace}).
-- ARGV[1] user id. Returns 1 when a row was removed, else 0.
local user = ARGV[1]
local member = redis.call('HGET', KEYS[2], 'm:' .. user)
redis.call('HDEL', KEYS[2], 'n:' .. user, 'm:' .. user, 'name:' .. user)
if member and redis.call('ZREM', KEYS[1], member) == 1 then return 1 end
return 0
