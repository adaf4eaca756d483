-- A socket leaves a presence channel.
-- KEYS: members, refs, sockets, meta, gone. ARGV: "node|socket", seconds an emptied roster's
-- epoch and version are kept (so a channel used once does not leave a key behind for ever),
-- the lifecycle grace period in milliseconds (0: lifecycle events are off, or told at once).
-- Returns {last, epoch, version, user, gone}: last is 1 when that was the user's last socket
-- anywhere (the version then counts this change), 0 when the user is still present, -1 for a
-- socket that is not in (already left, or removed with its dead node). gone is the marker of
-- the leave's grace period ('' without one): the node tells the leave after the deadline if
-- the marker is still there (confirm.lua), a return before it removes the marker (join.lua).
local user = redis.call('HGET', KEYS[3], ARGV[1])
if not user then
  return {-1, 0, 0, '', ''}
end
redis.call('HDEL', KEYS[3], ARGV[1])
local last = 0
local gone = ''
if redis.call('HINCRBY', KEYS[2], user, -1) <= 0 then
  redis.call('HDEL', KEYS[2], user)
  redis.call('HDEL', KEYS[1], user)
  local ver = redis.call('HINCRBY', KEYS[4], 'ver', 1)
  last = 1
  local grace = tonumber(ARGV[3])
  if grace > 0 then
    local time = redis.call('TIME')
    local now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
    gone = (now_ms + grace) .. '|' .. ver
    redis.call('HSET', KEYS[5], user, gone)
    -- Markers of a node that died before telling go with the key, a minute after the last.
    redis.call('PEXPIRE', KEYS[5], grace + 60000)
  end
end
if redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('EXPIRE', KEYS[4], ARGV[2])
end
return {
  last,
  tonumber(redis.call('HGET', KEYS[4], 'epoch') or '0'),
  tonumber(redis.call('HGET', KEYS[4], 'ver') or '0'),
  user,
  gone,
}
