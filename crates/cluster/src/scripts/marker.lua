-- Put before the scripts that hold a leave for its grace period (store/mod.rs): the marker of a
-- leave held `grace` milliseconds from now, by Redis' clock, as 'deadline|token'.
local function held_marker(grace)
  local time = redis.call('TIME')
  local now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  return (now_ms + grace) .. '|' .. time[1] .. time[2]
end
