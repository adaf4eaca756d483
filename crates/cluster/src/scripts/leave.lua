-- A socket leaves a presence channel.
-- KEYS: members, refs, sockets, meta. ARGV: "node|socket", seconds an emptied roster's epoch and
-- version are kept (so a channel used once does not leave a key behind for ever).
-- Returns {last, epoch, version, user}: last is 1 when that was the user's last socket
-- anywhere (the version then counts this change), 0 when the user is still present, -1 for a
-- socket that is not in (already left, or removed with its dead node).
local user = redis.call('HGET', KEYS[3], ARGV[1])
if not user then
  return {-1, 0, 0, ''}
end
redis.call('HDEL', KEYS[3], ARGV[1])
local last = 0
if redis.call('HINCRBY', KEYS[2], user, -1) <= 0 then
  redis.call('HDEL', KEYS[2], user)
  redis.call('HDEL', KEYS[1], user)
  redis.call('HINCRBY', KEYS[4], 'ver', 1)
  last = 1
end
if redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('EXPIRE', KEYS[4], ARGV[2])
end
return {
  last,
  tonumber(redis.call('HGET', KEYS[4], 'epoch') or '0'),
  tonumber(redis.call('HGET', KEYS[4], 'ver') or '0'),
  user,
}
