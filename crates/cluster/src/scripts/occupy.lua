-- A node's first socket came to a channel (lifecycle events).
-- KEYS: nodes, vacating (one channel's, one hash slot). ARGV: the node.
-- Returns what the app is told: 0 nothing (another node has sockets there, or the channel
-- comes back within the grace period of its vacating, which is cancelled); 1 occupied; 2
-- vacated, then occupied: the vacating's grace period was over, but its node had not told it
-- yet (its marker is taken, so that node will not).
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 or redis.call('SCARD', KEYS[1]) > 1 then
  return 0
end
local vacating = redis.call('GET', KEYS[2])
if not vacating then
  return 1
end
redis.call('DEL', KEYS[2])
local time = redis.call('TIME')
local now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if tonumber(string.match(vacating, '^(%d+)|')) > now_ms then
  return 0
end
return 2
