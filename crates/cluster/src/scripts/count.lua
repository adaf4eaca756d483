-- A node's subscriptions to a channel changed (lifecycle events, subscription_count).
-- KEYS: subs (one channel's HASH node → its count). ARGV: the node, its count now (0: none).
-- Returns the channel's count across the cluster: every node's added up.
if tonumber(ARGV[2]) == 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
local total = 0
for _, count in ipairs(redis.call('HVALS', KEYS[1])) do
  total = total + tonumber(count)
end
return total
