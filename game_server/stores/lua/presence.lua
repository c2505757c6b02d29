-- presence: until when this instance counts each of its players as connected (a drop keeps the
-- seat for the reconnect grace; 0 lets it go), and each player's presence across instances.
-- KEYS[1] meta  KEYS[2] presence (hash 'player|instance' -> ms)  KEYS[3] online (zset player ->
--   ms, the latest claim of any instance)  KEYS[4] instances (set)
-- ARGV[1] ttl ms  ARGV[2] instance  ARGV[3] n, then n pairs: player id, until ms
-- Returns 1, or 0 when the room is gone (the caller tells its connections).
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local instance = ARGV[2]
redis.call('SADD', KEYS[4], instance)
local others = redis.call('SMEMBERS', KEYS[4])
for j = 4, 3 + 2 * tonumber(ARGV[3]), 2 do
  local player, untilms = ARGV[j], tonumber(ARGV[j + 1])
  redis.call('HSET', KEYS[2], player .. '|' .. instance, untilms)
  local best = untilms
  for _, other in ipairs(others) do
    local claim = tonumber(redis.call('HGET', KEYS[2], player .. '|' .. other) or '0')
    if claim > best then best = claim end
  end
  redis.call('ZADD', KEYS[3], best, player)
end
for k = 2, 4 do redis.call('PEXPIRE', KEYS[k], tonumber(ARGV[1])) end
return 1
