-- transition: compare the room's version, write, append the events to the stream, publish them.
-- The room reducer (game_server/room) decided the change; this script only makes it atomic and
-- refuses it when someone else changed the room since it was read.
-- KEYS[1] meta  KEYS[2] events (stream)  KEYS[3..] the room's other keys (ops name them by index;
--   every key given has its expiry refreshed but the last, the results outbox, which never
--   expires: it empties as SQL acknowledges its items)
-- ARGV[1] channel  ARGV[2] stream cap  ARGV[3] ttl ms
-- ARGV[4] expected version ('' : the room must not exist yet)
-- ARGV[5] n meta fields, then n field/value pairs
-- then m ops, then m groups of 4: op ('hset' | 'hdel' | 'sadd' | 'zrem' | 'del'), key index,
--   field (member), value
-- then r, then r key indexes whose hashes are returned after the writes (HGETALL)
-- then the public events, one JSON text each
-- Returns {'ok', last seq, reads...} | {'conflict', current version} | {'gone'}
-- PUBLISH on one Redis; room_store.py makes it SPUBLISH on a Redis Cluster (sharded pub/sub).
local publish = 'PUBLISH'
local meta, events = KEYS[1], KEYS[2]
local channel, cap, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local current = redis.call('HGET', meta, 'version')
if ARGV[4] == '' then
  if current then return {'conflict', current} end
elseif not current then
  return {'gone'}
elseif current ~= ARGV[4] then
  return {'conflict', current}
end
local i = 5
local n = tonumber(ARGV[i])
for j = i + 1, i + 2 * n, 2 do redis.call('HSET', meta, ARGV[j], ARGV[j + 1]) end
i = i + 2 * n + 1
local m = tonumber(ARGV[i])
for j = i + 1, i + 4 * m, 4 do
  local op, key, field, value = ARGV[j], KEYS[tonumber(ARGV[j + 1])], ARGV[j + 2], ARGV[j + 3]
  if op == 'hset' then redis.call('HSET', key, field, value)
  elseif op == 'hdel' then redis.call('HDEL', key, field)
  elseif op == 'sadd' then redis.call('SADD', key, field)
  elseif op == 'zrem' then redis.call('ZREM', key, field)
  elseif op == 'del' then redis.call('DEL', key)
  else return redis.error_reply('transition: unknown op ' .. op) end
end
i = i + 4 * m + 1
local r = tonumber(ARGV[i])
local reads = {}
for j = i + 1, i + r do reads[#reads + 1] = redis.call('HGETALL', KEYS[tonumber(ARGV[j])]) end
local seq = tonumber(redis.call('HGET', meta, 'seq') or '0')
for j = i + r + 1, #ARGV do
  seq = redis.call('HINCRBY', meta, 'seq', 1)
  redis.call('XADD', events, 'MAXLEN', '~', cap, seq .. '-0', 'd', ARGV[j])
  redis.call(publish, channel, seq .. '|' .. ARGV[j])
end
for k = 1, #KEYS - 1 do
  if redis.call('EXISTS', KEYS[k]) == 1 then redis.call('PEXPIRE', KEYS[k], ttl) end
end
local out = {'ok', tostring(seq)}
for _, read in ipairs(reads) do out[#out + 1] = read end
return out
