"""PyPI downloads pipeline: the tested helpers behind the notebooks, main.py and the DAG."""
