-- submit: a player's decision for the open round, in one round trip: the answer already given
-- to this message (a resend), the player's and the round's checks (the same rule as the room
-- reducer's accepts_decision), the write, and whether every connected player has now decided.
-- KEYS[1] meta  KEYS[2] players  KEYS[3] kicked  KEYS[4] pending  KEYS[5] acks  KEYS[6] online
-- ARGV[1] channel  ARGV[2] ttl ms  ARGV[3] player id  ARGV[4] round  ARGV[5] decision (log form)
-- ARGV[6] ack field  ARGV[7] now ms  ARGV[8] pension  ARGV[9] medical (for the hosts' bars)
-- Returns {'dup', answer} | {'err', code} | {'ok', answer}; answer = 'round|decided|total|all'
-- PUBLISH on one Redis; room_store.py makes it SPUBLISH on a Redis Cluster (sharded pub/sub).
local publish = 'PUBLISH'
local meta, players, kicked, pending, acks, online = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local player, round, now = ARGV[3], ARGV[4], tonumber(ARGV[7])
local done = redis.call('HGET', acks, ARGV[6])
if done then return {'dup', done} end
local m = redis.call('HMGET', meta, 'status', 'round', 'round_state')
if not m[1] then return {'err', 'room/gone'} end
if redis.call('HEXISTS', players, player) == 0 then return {'err', 'room/player_not_found'} end
if redis.call('SISMEMBER', kicked, player) == 1 then return {'err', 'room/kicked'} end
if m[1] ~= 'playing' then return {'err', 'room/wrong_state'} end
if m[2] ~= round or m[3] ~= 'open' then return {'err', 'rule/round_closed'} end
redis.call('HSET', pending, player, ARGV[5])
local decided = redis.call('HLEN', pending)
local total = redis.call('HLEN', players) - redis.call('SCARD', kicked)
-- Everyone connected decided? Cheap bounds first: all seats decided, or fewer decisions than
-- connected players; only in between are the connected players looked at one by one.
local all = decided >= total
if not all and decided >= redis.call('ZCOUNT', online, now, '+inf') then
  all = true
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', online, now, '+inf')) do
    if redis.call('HEXISTS', pending, id) == 0 and redis.call('SISMEMBER', kicked, id) == 0 then
      all = false
      break
    end
  end
end
local answer = round .. '|' .. decided .. '|' .. total .. '|' .. (all and '1' or '0')
redis.call(publish, ARGV[1], '0|' .. cjson.encode({kind = 'decided', round = tonumber(round),
  decided = decided, total = total, player_id = player, pension = ARGV[8], medical = ARGV[9]}))
redis.call('HSET', acks, ARGV[6], answer)
redis.call('PEXPIRE', pending, tonumber(ARGV[2]))
redis.call('PEXPIRE', acks, tonumber(ARGV[2]))
return {'ok', answer}
