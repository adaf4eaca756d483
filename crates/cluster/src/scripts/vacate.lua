-- A node's last socket left a channel (lifecycle events), or the node died.
-- KEYS: nodes, vacating. ARGV: the node, the grace period in milliseconds (0: told at once),
-- '1' when the node's entry may be gone already (its earlier vacate's answer was lost, or Redis
-- lost its data): vacated then if no node has sockets there.
-- Returns 'none' when this node had no sockets there, '' when other nodes still have, 'now'
-- when the channel is vacated and to be told at once, else the vacating's marker: the node
-- tells it after the deadline if the marker is still there (confirm.lua).
local removed = redis.call('SREM', KEYS[1], ARGV[1])
if removed == 0 and ARGV[3] ~= '1' then
  return 'none'
end
if redis.call('SCARD', KEYS[1]) > 0 then
  return ''
end
local grace = tonumber(ARGV[2])
if grace == 0 then
  return 'now'
end
local marker = held_marker(grace)
redis.call('SET', KEYS[2], marker, 'PX', grace + 60000)
return marker
