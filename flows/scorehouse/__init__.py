"""scorehouse: customer scoring inside the warehouse (dbt models, Prefect flow, Great Expectations gates)."""

import warnings

# pyspark 4.3, which Great Expectations imports when it is installed, warns about pandas 3 at import; no
# Spark step here uses pandas, so the warning would only clutter every command's output.
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
# dbt-spark asks for a Hive-enabled session before every statement; on a Spark Connect server (spark_connect
# target) that static setting is the server's, and pyspark warns each time that a client cannot change it.
warnings.filterwarnings("ignore", message="Failed to set spark.sql.catalogImplementation", category=UserWarning)
