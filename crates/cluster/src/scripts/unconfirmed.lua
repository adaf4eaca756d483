-- A member's leave Redis did not confirm (its answer was lost, or Redis lost its data), checked
-- once the node's entries in the roster are reconciled: the user is gone if no node has it
-- there. Its leave is then held for the grace period like any other, with a fresh marker, so
-- that a node still putting the user back after Redis came back empty cancels it.
-- KEYS: members, gone. ARGV: the user's key, the grace period in milliseconds (0: told at once).
-- Returns '' when the user is present, 'now' when the leave is to be told at once, else the
-- marker to confirm after the deadline (confirm.lua).
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  return ''
end
local grace = tonumber(ARGV[2])
if grace == 0 then
  return 'now'
end
local marker = held_marker(grace)
redis.call('HSET', KEYS[2], ARGV[1], marker)
redis.call('PEXPIRE', KEYS[2], grace + 60000)
return marker
