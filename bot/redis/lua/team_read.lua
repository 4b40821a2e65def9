-- team_read.lua: read a workspace's aggregate in one round trip.
--
-- KEYS as team.lua (the applied set unused). ARGV[1] week [2] month
-- [3] how many of the most-missed concepts.
-- Returns {counts, missed, scenarios}: counts = n, week, month, st1..st7
-- (strings, false when absent); missed = flat key, score, "<step>\t<label>";
-- scenarios = flat id, score.
local counts = redis.call('HMGET', KEYS[1], 'n', 'w:' .. ARGV[1], 'm:' .. ARGV[2],
  'st1', 'st2', 'st3', 'st4', 'st5', 'st6', 'st7')
for i = 1, #counts do counts[i] = counts[i] or '0' end
local missed = {}
local limit = tonumber(ARGV[3])
if limit > 0 then
  local top = redis.call('ZREVRANGE', KEYS[2], 0, limit - 1, 'WITHSCORES')
  for i = 1, #top, 2 do
    missed[#missed + 1] = top[i]; missed[#missed + 1] = top[i + 1]
    missed[#missed + 1] = redis.call('HGET', KEYS[1], 'l:' .. top[i]) or ''
  end
end
return {counts, missed, redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES')}
