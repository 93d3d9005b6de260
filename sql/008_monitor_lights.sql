-- 008_monitor_lights: what the monitor reads every minute, found by index
-- instead of by reading every open case: the cases whose yellow day has
-- come (requests_open_red, from 005, does the same for red), and the cases
-- whose light days were computed with an older calendar (versions only
-- grow, so "older" is a range).
CREATE INDEX requests_open_yellow ON requests (yellow_on)
    WHERE status IN ('submitted', 'accepted', 'correction_required', 'paused');
CREATE INDEX requests_open_calendar ON requests (clock_calendar)
    WHERE status IN ('submitted', 'accepted', 'correction_required', 'paused')
      AND clock_start IS NOT NULL;
