-- Empty the outbox of what SQL has acknowledged: delete each field whose value is still the one
-- the drainer read and wrote to SQL. A field written again meanwhile (a life that played further)
-- holds another value and stays, so its newer version is flushed next time and never lost.
--
-- KEYS[1]  the room's outbox hash, {room:CODE}:outbox
-- ARGV     pairs: field, value (the JSON text exactly as read), field, value, ...
-- Returns  {deleted, remaining}: how many fields this call deleted, how many are left
local deleted = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    deleted = deleted + redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return {deleted, redis.call('HLEN', KEYS[1])}
