"""Repo root on sys.path so tests can import tests.support; the library is installed (-e)."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
