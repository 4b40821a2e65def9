-- board.lua: read one leaderboard page and the viewer's standing.
--
-- KEYS[1] ZSET, KEYS[2] meta HASH (same slot {platform:workspace}).
-- ARGV[1] limit (0 = no page), ARGV[2] viewer user id ("" = none).
-- Returns {page, viewer}: page is a flat list of member, score, n, name;
-- viewer is {} or {rank0, member, score, n, name}. Scores stay strings
-- (a Lua number would be truncated to an integer in the reply).
local limit, viewer = tonumber(ARGV[1]), ARGV[2]
local page = {}
if limit > 0 then
  local top = redis.call('ZREVRANGE', KEYS[1], 0, limit - 1, 'WITHSCORES')
  for i = 1, #top, 2 do
    local user = string.sub(top[i], 15)
    local m = redis.call('HMGET', KEYS[2], 'n:' .. user, 'name:' .. user)
    page[#page + 1] = top[i]; page[#page + 1] = top[i + 1]
    page[#page + 1] = m[1] or '0'; page[#page + 1] = m[2] or ''
  end
end
local me = {}
if viewer ~= '' then
  local member = redis.call('HGET', KEYS[2], 'm:' .. viewer)
  if member then
    local rank = redis.call('ZREVRANK', KEYS[1], member)
    if rank then
      local m = redis.call('HMGET', KEYS[2], 'n:' .. viewer, 'name:' .. viewer)
      me = {rank, member, redis.call('ZSCORE', KEYS[1], member), m[1] or '0', m[2] or ''}
    end
  end
end
return {page, me}
