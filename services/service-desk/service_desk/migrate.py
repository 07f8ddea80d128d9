"""One-shot set-up of the service desk: `python -m service_desk.migrate` migrates and declares its queue."""
from crm_shared.migrations import set_up
from service_desk.config import SERVICE_ROOT, load_settings
from service_desk.handlers import HANDLERS

if __name__ == "__main__":
    set_up(load_settings(), SERVICE_ROOT, HANDLERS)
