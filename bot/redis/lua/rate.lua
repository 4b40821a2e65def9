-- A rate budget shared by every replica (GCRA). KEYS[1] holds the budget's
-- theoretical arrival time: the instant, in microseconds, the budget is
-- used up to; up to ARGV[3] of it may be spent early (Burst-1 intervals).
-- Microseconds stay exact in a Lua double for centuries, and %.0f never
-- writes them in exponent form.
--
-- ARGV: 1 mode ("reserve" | "hold"), 2 now (µs), 3 tolerance (µs),
--       4 interval (µs, reserve) or until (µs, hold)
-- Reply: reserve → the wait in µs before the reserved slot; hold → 0.
local now = tonumber(ARGV[2])
local tau = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local function keep(v)
  -- The key outlives the budget's debt by a second, then is as good as new.
  local ttl = math.ceil((v - now) / 1000) + 1000
  if ttl < 1000 then ttl = 1000 end
  redis.call('SET', KEYS[1], string.format('%.0f', v), 'PX', ttl)
end
if ARGV[1] == 'hold' then
  local held = tonumber(ARGV[4]) + tau
  if held > tat then keep(held) end
  return 0
end
if tat < now then tat = now end
keep(tat + tonumber(ARGV[4]))
local wait = tat - tau - now
if wait < 0 then wait = 0 end
return wait
