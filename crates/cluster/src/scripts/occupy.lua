-- A node's first socket came to a channel (lifecycle events).
-- KEYS: nodes, vacating (one channel's, one hash slot). ARGV: the node.
-- Returns 1 when the app is to be told the channel is occupied: no other node had a socket
-- there, and it was not vacating within its grace period (that vacating is then cancelled,
-- and neither is told; one past its deadline is told by its node, and so is this).
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 or redis.call('SCARD', KEYS[1]) > 1 then
  return 0
end
local vacating = redis.call('GET', KEYS[2])
if vacating then
  local time = redis.call('TIME')
  local now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  if tonumber(string.match(vacating, '^(%d+)|')) > now_ms then
    redis.call('DEL', KEYS[2])
    return 0
  end
end
return 1
