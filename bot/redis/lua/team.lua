-- team.lua: add one completion to its workspace's aggregate, once.
--
-- Every key is in the workspace's hash slot {platform:workspace}:
--   KEYS[1] agg HASH     n, w:<week>, m:<month>, st1..st7, l:<concept key>
--   KEYS[2] miss ZSET    member = concept key, score = times missed
--   KEYS[3] scen ZSET    member = scenario id, score = completions
--   KEYS[4] applied SET  session ids already added (this month's)
--   KEYS[5] export HASH  <user>:<session> → the admin export's row (JSON)
-- ARGV[1] session id  [2] week  [3] month  [4] scenario id
--     [5] applied expire-at ms  [6..12] step scores 1..7
--     [13] missed concepts, JSON [[key, "<step>\t<label>"], ...]
--     [14] export field  [15] export row JSON  [16] export expire-at ms
-- Returns 1 when added, 0 for a session already counted (a replay).
if redis.call('SADD', KEYS[4], ARGV[1]) == 0 then return 0 end
redis.call('PEXPIREAT', KEYS[4], ARGV[5])
redis.call('HINCRBY', KEYS[1], 'n', 1)
redis.call('HINCRBY', KEYS[1], 'w:' .. ARGV[2], 1)
redis.call('HINCRBY', KEYS[1], 'm:' .. ARGV[3], 1)
for i = 1, 7 do redis.call('HINCRBYFLOAT', KEYS[1], 'st' .. i, ARGV[5 + i]) end
redis.call('ZINCRBY', KEYS[3], 1, ARGV[4])
redis.call('HSET', KEYS[5], ARGV[14], ARGV[15])
redis.call('PEXPIREAT', KEYS[5], ARGV[16])
for _, m in ipairs(cjson.decode(ARGV[13])) do
  redis.call('ZINCRBY', KEYS[2], 1, m[1])
  redis.call('HSET', KEYS[1], 'l:' .. m[1], m[2])
end
return 1
