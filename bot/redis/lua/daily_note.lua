-- daily_note.lua: keep a note with a held claim (DailyStore.NoteClaim).
--
-- KEYS[1] claim STRING "c:<claimed at, unix ms>[:<note>]" while held, "done"
-- ARGV[1] note
-- Returns 0 when the key is unknown (or forgotten), 1 otherwise; a finished
-- key is left as it is. The claim time and the TTL are kept.
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
if v == 'done' then return 1 end
local digits = string.match(v, '^c:(%d+)')
if not digits then return redis.error_reply('ERR daily_note: unexpected claim value') end
redis.call('SET', KEYS[1], 'c:' .. digits .. ':' .. ARGV[1], 'KEEPTTL')
return 1
