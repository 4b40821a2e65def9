-- publish.lua: write a user's absolute totals to a workspace's leaderboards.
--
-- Every key is in the workspace's hash slot {platform:workspace}; per board
-- two keys: KEYS[2i-1] ZSET, KEYS[2i] meta HASH (n:<user>, m:<user>, name:<user>).
-- ARGV[1] user id  [2] display name, then per board i (4 values):
--   sessions n, points, member "<13-digit inverted ms>:<user>", expire-at ms ("0" = never)
--
-- The member embeds when the total was reached, inverted, so equal points
-- rank the earlier user first (ZREVRANGE orders ties by member descending).
-- A total with fewer sessions than the stored one is older and is ignored,
-- so replays and out-of-order publishes never move a board backwards.
-- Returns the number of boards changed.
local user, name = ARGV[1], ARGV[2]
local changed = 0
for i = 1, #KEYS / 2 do
  local z, meta = KEYS[2 * i - 1], KEYS[2 * i]
  local a = 3 + 4 * (i - 1)
  local n, pts, member, exp = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local old = redis.call('HMGET', meta, 'n:' .. user, 'm:' .. user)
  if not old[1] or tonumber(old[1]) <= tonumber(n) then
    if old[2] and old[2] ~= member then redis.call('ZREM', z, old[2]) end
    redis.call('ZADD', z, pts, member)
    redis.call('HSET', meta, 'n:' .. user, n, 'm:' .. user, member, 'name:' .. user, name)
    changed = changed + 1
  end
  if exp ~= '0' then
    redis.call('PEXPIREAT', z, exp)
    redis.call('PEXPIREAT', meta, exp)
  end
end
return changed
