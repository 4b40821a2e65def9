-- daily_reveal.lua: mark a daily post revealed (DailyStore.MarkDailyRevealed).
--
-- Both keys are in the workspace's hash slot {platform:workspace}:
--   KEYS[1] thread   HASH post (JSON), revealed — the post's thread binding
--   KEYS[2] channel  HASH cfg, rot, revealed (date), now
-- ARGV[1] the post's local date
-- The binding keeps its TTL (HSET does not touch it); the channel's
-- revealed date only moves forward (ISO dates compare as strings).
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'revealed', '1')
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  local cur = redis.call('HGET', KEYS[2], 'revealed')
  if not cur or cur < ARGV[1] then
    redis.call('HSET', KEYS[2], 'revealed', ARGV[1])
  end
end
return 1
