-- One database per component (docker-compose.yml). Each migrate job also creates its own if missing.
CREATE DATABASE crm_leads;
CREATE DATABASE crm_sales;
CREATE DATABASE crm_service_desk;
CREATE DATABASE crm_reporting;
CREATE DATABASE crm_gateway;
