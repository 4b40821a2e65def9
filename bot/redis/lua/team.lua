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
-- The missed concepts in a few calls, not two per concept: read their
-- counts (ZMSCORE), add, write back (ZADD), and their labels (HSET), in
-- chunks for unpack's limit.
local missed = cjson.decode(ARGV[13])
local CHUNK = 1000
for from = 1, #missed, CHUNK do
  local members, seen = {}, {}
  local last = math.min(#missed, from + CHUNK - 1)
  for i = from, last do
    if not seen[missed[i][1]] then seen[missed[i][1]] = 0; members[#members + 1] = missed[i][1] end
    seen[missed[i][1]] = seen[missed[i][1]] + 1
  end
  local scores = redis.call('ZMSCORE', KEYS[2], unpack(members))
  local zadd, labels = {}, {}
  for j, member in ipairs(members) do
    zadd[#zadd + 1] = (tonumber(scores[j]) or 0) + seen[member]; zadd[#zadd + 1] = member
  end
  for i = from, last do
    labels[#labels + 1] = 'l:' .. missed[i][1]; labels[#labels + 1] = missed[i][2]
  end
  redis.call('ZADD', KEYS[2], unpack(zadd))
  redis.call('HSET', KEYS[1], unpack(labels))
end
return 1
