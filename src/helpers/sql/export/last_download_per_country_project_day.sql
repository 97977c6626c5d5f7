-- Required object 1: the last download per country, project and day, for the days being
-- built; the table keeps one partition per day, and readers take the window with a filter
-- on `day`. NULL country_code is a group of its own. Ties on the timestamp are broken by
-- filename then url, so re-runs pick the same row.
-- Query parameters (named, never formatted into the text): first_day DATE, last_day DATE,
-- projects ARRAY<STRING> (the allow-list of the run; empty array: every project).
SELECT
  DATE(timestamp) AS day,
  country_code,
  project,
  timestamp AS last_download_at,
  file.filename AS filename,
  file.version AS version,
  file.type AS file_type,
  details.installer.name AS installer
FROM `{downloads_table}`
WHERE timestamp >= TIMESTAMP(@first_day)
  AND timestamp < TIMESTAMP(DATE_ADD(@last_day, INTERVAL 1 DAY))
  AND (ARRAY_LENGTH(@projects) = 0 OR project IN UNNEST(@projects))
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY DATE(timestamp), country_code, project
  ORDER BY timestamp DESC, file.filename DESC, url DESC
) = 1
