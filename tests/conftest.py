import pathlib
import sys

# Helpers shared by the repository tests and scripts
sys.path.insert(0, str(pathlib.Path(__file__).parent))
