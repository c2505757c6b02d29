-- room_view: the whole room at one moment, for the room reducer and the host's screens.
-- KEYS[1] meta  KEYS[2] players  KEYS[3] kicked  KEYS[4] pending  KEYS[5] online
-- ARGV[1] now ms
-- Returns {'gone'} | {'ok', meta (flat), players (flat), kicked, pending (flat), connected ids}
if redis.call('EXISTS', KEYS[1]) == 0 then return {'gone'} end
return {'ok', redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]),
  redis.call('SMEMBERS', KEYS[3]), redis.call('HGETALL', KEYS[4]),
  redis.call('ZRANGEBYSCORE', KEYS[5], ARGV[1], '+inf')}
