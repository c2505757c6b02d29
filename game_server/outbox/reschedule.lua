-- Move a room's entry in the outbox index, or remove it, unless it changed since it was read:
-- the room service ZADDs a room (due now) before it fills the room's outbox, and that newer
-- entry must win over a drainer's stale decision to postpone or drop the room.
--
-- KEYS[1]  the outbox index, gig:outbox (sorted set: room code -> when due, ms)
-- ARGV[1]  the room code
-- ARGV[2]  the score the caller read for it
-- ARGV[3]  the new score (ms), or '' to remove the entry
-- Returns  1 if the entry was moved or removed, 0 if it was gone or had another score
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) ~= tonumber(ARGV[2]) then
  return 0
end
if ARGV[3] == '' then
  redis.call('ZREM', KEYS[1], ARGV[1])
else
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
end
return 1
