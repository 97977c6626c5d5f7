-- Required object 1: the last download per country, project and day over the window.
-- NULL country_code is a group of its own. Ties on the timestamp are broken by filename
-- then url, so re-runs pick the same row. Parameters: window_start DATE, window_end DATE.
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
WHERE timestamp >= TIMESTAMP(@window_start)
  AND timestamp < TIMESTAMP(DATE_ADD(@window_end, INTERVAL 1 DAY))
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY DATE(timestamp), country_code, project
  ORDER BY timestamp DESC, file.filename DESC, url DESC
) = 1
