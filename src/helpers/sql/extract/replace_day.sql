-- Swap one acquired day into the staging table atomically: readers see the old day or the
-- new one, never a mix. The day is the one held by the freshly built `{acquired_table}`.
BEGIN TRANSACTION;

DELETE FROM `{staging_table}`
WHERE DATE(hour) IN (SELECT DISTINCT DATE(hour) FROM `{acquired_table}`);

INSERT INTO `{staging_table}` (
  hour, country_code, project, version, file_type, installer_family, is_ci,
  downloads, bytes, dependencies, downloads_without_metadata
)
SELECT
  hour, country_code, project, version, file_type, installer_family, is_ci,
  downloads, bytes, dependencies, downloads_without_metadata
FROM `{acquired_table}`;

COMMIT TRANSACTION;
