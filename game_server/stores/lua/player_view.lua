-- player_view: what one player's snapshot or token check needs, without the whole room.
-- KEYS[1] meta  KEYS[2] players  KEYS[3] kicked  KEYS[4] logs  KEYS[5] pending
-- ARGV[1] player id
-- Returns {'gone'} | {'ok', meta (flat), player JSON|false, log|false, pending|false, kicked,
--   seats, decided}
if redis.call('EXISTS', KEYS[1]) == 0 then return {'gone'} end
local p = ARGV[1]
return {'ok', redis.call('HGETALL', KEYS[1]), redis.call('HGET', KEYS[2], p) or false,
  redis.call('HGET', KEYS[4], p) or false, redis.call('HGET', KEYS[5], p) or false,
  redis.call('SISMEMBER', KEYS[3], p), redis.call('HLEN', KEYS[2]), redis.call('HLEN', KEYS[5])}
