# Odoo 18 with the connector's Python dependencies. The addons are mounted, not copied.
FROM odoo:18
USER root
COPY requirements.txt /tmp/amazon-connector-requirements.txt
RUN pip3 install --no-cache-dir --break-system-packages -r /tmp/amazon-connector-requirements.txt
USER odoo
