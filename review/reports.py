"""The material and on-site review reports (材料评审报告, 现场评审报告) as PDFs."""
