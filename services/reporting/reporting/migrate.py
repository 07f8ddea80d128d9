"""One-shot set-up of the reporting service: `python -m reporting.migrate` migrates and declares its queue."""
from crm_shared.migrations import set_up
from reporting.config import SERVICE_ROOT, load_settings
from reporting.handlers import HANDLERS

if __name__ == "__main__":
    set_up(load_settings(), SERVICE_ROOT, HANDLERS)
