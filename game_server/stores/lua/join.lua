-- join: seat a player if the room is still in the version the reducer judged the join in.
-- Joins do not bump the version (many may race; none changes a rule), so the seat cap is
-- checked here against the live count, the same rule as the reducer's.
-- KEYS[1] meta  KEYS[2] events  KEYS[3] players  KEYS[4] logs
-- ARGV[1] channel  ARGV[2] stream cap  ARGV[3] ttl ms  ARGV[4] expected version
-- ARGV[5] capacity  ARGV[6] player id  ARGV[7] player JSON  ARGV[8] log JSON  ARGV[9] event JSON
-- The event gains "players": the seats after this one (who is told depends on the room's size).
-- Returns {'ok', seq} | {'gone'} | {'retry'} (the room changed: judge again) | {'full'}
-- PUBLISH on one Redis; room_store.py makes it SPUBLISH on a Redis Cluster (sharded pub/sub).
local publish = 'PUBLISH'
local meta, events, players, logs = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local version = redis.call('HGET', meta, 'version')
if not version then return {'gone'} end
if version ~= ARGV[4] then return {'retry'} end
if redis.call('HLEN', players) >= tonumber(ARGV[5]) then return {'full'} end
if redis.call('HSETNX', players, ARGV[6], ARGV[7]) == 0 then return {'retry'} end
redis.call('HSET', logs, ARGV[6], ARGV[8])
local event = string.sub(ARGV[9], 1, -2) .. ',"players":' .. redis.call('HLEN', players) .. '}'
local seq = redis.call('HINCRBY', meta, 'seq', 1)
redis.call('XADD', events, 'MAXLEN', '~', tonumber(ARGV[2]), seq .. '-0', 'd', event)
redis.call(publish, ARGV[1], seq .. '|' .. event)
for k = 1, #KEYS do redis.call('PEXPIRE', KEYS[k], tonumber(ARGV[3])) end
return {'ok', tostring(seq)}
